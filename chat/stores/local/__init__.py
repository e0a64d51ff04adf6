"""The stores for one server process: state in memory, the history in SQLite.

Each module implements the store of the same name in chat/stores/base.py; its twin in
chat/stores/redis/ does the same for several processes.
"""
