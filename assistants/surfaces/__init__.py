"""Where people meet the assistants: the website widget, the ticket page's AI panel, the playground, the chat API."""
