"""The cases REST API (``/api/v1/``): the same FilterSet, visibility and workflow as the pages."""
