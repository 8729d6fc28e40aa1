"""The USSD channel: string parser, dialogue table (pure) and the service over the menus."""
