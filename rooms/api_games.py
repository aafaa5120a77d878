from rest_framework.views import APIView


class GameCreateView(APIView):
    pass


class GameDetailView(APIView):
    pass


class GameResultsView(APIView):
    pass


class GatewayView(APIView):
    pass
