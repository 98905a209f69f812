"""Reliability under real servers: ``python -m benchmarks.stress [--long]``.

Isolation under load, the fault matrix, bad input and memory, through
uvicorn, hypercorn (asyncio and trio) and uvicorn with two workers; see
docs/reliability.md.
"""
