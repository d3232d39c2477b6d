"""The LLM providers (llama.cpp, transformers, Ollama): each imports its library on first use only."""
