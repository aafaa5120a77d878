"""Browser pages (host console, player pages). Filled in by the pages work."""

urlpatterns: list = []
