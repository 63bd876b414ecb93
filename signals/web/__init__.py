"""The web app: review queue, respond inbox, people, sources and dashboard pages (FastAPI)."""
