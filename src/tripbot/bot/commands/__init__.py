"""The bot's commands, one module per area; importing a module registers its handlers."""
