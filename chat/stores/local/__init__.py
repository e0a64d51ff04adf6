"""The live stores for one server process, in memory: presence, rooms occupied, typing, limits, last seen, delivery.

Each module implements the store of the same name in chat/stores/base/; its twin in
chat/stores/redis/ does the same for several processes. Durable data is in the SQL
database (chat/stores/sql/) either way.
"""
