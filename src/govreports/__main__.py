from govreports.cli import entry

entry()
