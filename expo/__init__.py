"""The expo core and its composition root.

Everyone uses ``settings``, ``db``, ``accounts``, ``bus``; the expo-wide domain lives in
``agenda`` (stages and pitch sessions), ``matchmaking`` (the 1:1 meeting scheduler) and
``fair`` (the expo, its districts, project teams and halls). ``expo.app.create_app`` builds
the ASGI application; nothing imports it.
"""
