"""Portal configurations and the adapters that find annual reports on each CMS family."""
