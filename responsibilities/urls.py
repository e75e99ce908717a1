app_name = "responsibilities"
urlpatterns: list = []
