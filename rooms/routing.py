from django.urls import path

from . import consumers

# Players are anonymous (they identify with `join`/`resume`): no session or user lookup per socket.
player_urlpatterns = [
    path("ws/play/<str:pin>/", consumers.PlayConsumer.as_asgi()),
]
host_urlpatterns = [
    path("ws/host/<str:pin>/", consumers.HostConsumer.as_asgi()),
]
