"""The gateway: the public REST API and the server-rendered web UI. It owns no domain data."""
