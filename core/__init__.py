"""Helpers every app builds on: settings readers, request context, API and admin bases.

The bottom layer of Dossier (see README, "Architecture"): it imports no app.
"""
