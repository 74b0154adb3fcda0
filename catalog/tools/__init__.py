"""Developer tools of the partners app: scripts that generate data the app ships."""
