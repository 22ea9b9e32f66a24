"""HTTP: the FastAPI app factory, API routers, public pages and error mapping."""
