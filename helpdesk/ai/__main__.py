"""``python -m helpdesk.ai install|verify PATH``: fetch or check the multilingual model file (``make qwen``)."""

from helpdesk.ai.modelfile import main

main()
