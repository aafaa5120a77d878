from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/play/<str:pin>/", consumers.PlayConsumer.as_asgi()),
    path("ws/host/<str:pin>/", consumers.HostConsumer.as_asgi()),
]
