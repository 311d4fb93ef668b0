"""The OpenAI-compatible engine, in parts: settings (config), the messages
(prompt), one provider round with retries and streaming (provider), running
the model's tool calls safely (toolrun), and the tool loop with its fallback
(engine). ``core.assistant.openai_engine.OpenAIEngine`` is the public name."""
