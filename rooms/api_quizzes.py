"""Quiz authoring API (placeholder until the serializers land)."""

from rest_framework import viewsets
from rest_framework.authtoken.views import ObtainAuthToken

from .models import Quiz


class TokenView(ObtainAuthToken):
    pass


class QuizViewSet(viewsets.ModelViewSet):
    def get_queryset(self):
        return Quiz.objects.filter(owner=self.request.user)
