from django.urls import path

from astana_cms.editorial.cache import cached_public_page

from . import feeds, views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/", views.round_list, name="rounds"),
    path("rounds/<slug:slug>/", views.round_detail, name="round"),
    path("excerpts/<int:pk>/", views.excerpt_detail, name="excerpt"),
    path("excerpts/<int:pk>/report/", views.report_error, name="report"),
    path("excerpts/<int:pk>/report/sent/", views.report_sent, name="report_sent"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("actors/", views.actor_list, name="actors"),
    path("actors/<slug:slug>/", views.actor_detail, name="actor"),
    path("topics/", views.topic_list, name="topics"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("search/", views.search_page, name="search"),
    path("preview/<str:token>/", views.preview, name="preview"),
    path("methodology/", views.methodology, name="methodology"),
    path("data/", views.data, name="data"),
    path("data/excerpts.schema.json", views.download_schema, name="download_schema"),
    path("data/excerpts.<str:fmt>", views.download, name="download"),
    path("feeds/excerpts/", cached_public_page(feeds.ExcerptFeed()), name="feed"),
    path("feeds/rounds/<slug:slug>/", cached_public_page(feeds.RoundFeed()), name="round_feed"),
    path("feeds/actors/<slug:slug>/", cached_public_page(feeds.ActorFeed()), name="actor_feed"),
    path("feeds/topics/<slug:slug>/", cached_public_page(feeds.TopicFeed()), name="topic_feed"),
]
