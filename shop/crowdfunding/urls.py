from django.urls import path

from . import views

app_name = "crowdfunding"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("pledges/<uuid:reference>/", views.pledge_detail, name="pledge"),
    path("pledges/<uuid:reference>/card/", views.pledge_card, name="pledge-card"),
    path("pledges/<uuid:reference>/return/", views.pledge_return, name="pledge-return"),
    path("pledges/<uuid:reference>/status/", views.pledge_status, name="pledge-status"),
    path("pledges/<uuid:reference>/cancel/", views.pledge_cancel, name="pledge-cancel"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/pledge/", views.pledge_create, name="pledge-create"),
]
