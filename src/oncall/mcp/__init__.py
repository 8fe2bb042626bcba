"""The MCP server (official `mcp` SDK): the incident loop as tools for Claude, Cursor and any MCP client.

One of the four doors to the same functions (DESIGN.md section 10), beside the CLI, the console and its
HTTP API: tools return the same typed results, cut to a size a model reads; runs land in the same run
history; writes are off unless allowed.
"""

from __future__ import annotations

from oncall.mcp.server import build_server
from oncall.mcp.service import OncallService
from oncall.mcp.transports import MCP_PATH, http_app, serve_http, serve_stdio

__all__ = ["MCP_PATH", "OncallService", "build_server", "http_app", "serve_http", "serve_stdio"]
