"""Readers of the route file formats people have: GPX, KML, KMZ, TCX, FIT and GeoJSON.

Each reader turns a file into ``common.Parsed``: the lines it holds as they were written (a
point without a usable position or time keeps its place, as NaN), its waypoints, names and
what it noticed. ``tripbot.routes.repairs`` then decides what is kept, dropped or repaired.
"""
