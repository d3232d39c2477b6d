"""Pages of the assistants section."""

from csp.constants import NONE
from csp.decorators import csp
from django.urls import path

from assistants import views
from assistants.surfaces import panel, playground, widget

app_name = "assistants"

# The widget's script and endpoints answer a customer's site with a script and JSON, never a page:
# their policy allows nothing (opened directly, nothing in them loads or runs), and no site frames
# them. Who may call them is the widget key's list of origins (CORS in assistants/surfaces/widget.py).
widget_only = csp({"default-src": [NONE], "base-uri": [NONE], "form-action": [NONE], "frame-ancestors": [NONE]})

urlpatterns = [
    path("", views.assistant_list, name="list"),
    path("new/", views.assistant_create, name="create"),
    path("<int:pk>/", views.assistant_detail, name="detail"),
    path("<int:pk>/edit/", views.assistant_edit, name="edit"),
    path("<int:pk>/default/", views.assistant_make_default, name="make-default"),
    path("<int:pk>/playground/", playground.playground, name="playground"),
    path("<int:pk>/playground/ask/", playground.playground_ask, name="playground-ask"),
    path("<int:pk>/playground/stream/", playground.playground_stream, name="playground-stream"),
    path("widget.js", widget_only(widget.widget_script), name="widget-script"),
    path("widget/chat", widget_only(widget.widget_chat), name="widget-chat"),
    path("widget/chat/stream", widget_only(widget.widget_chat_stream), name="widget-chat-stream"),
    path("widget/escalate", widget_only(widget.widget_escalate), name="widget-escalate"),
    path("<int:pk>/widget-keys/", views.widget_key_add, name="widget-key-add"),
    path("<int:pk>/widget-keys/<int:key_id>/revoke/", views.widget_key_revoke, name="widget-key-revoke"),
    path("tickets/<int:number>/panel/", panel.panel, name="ticket-panel"),
    path("tickets/<int:number>/suggest/", panel.suggest, name="ticket-suggest"),
    path("tickets/<int:number>/stream/", panel.stream, name="ticket-stream"),
    path("tickets/<int:number>/answers/<int:answer_id>/feedback/", panel.feedback, name="ticket-feedback"),
    path("tickets/<int:number>/answers/<int:answer_id>/apply/<str:field>/", panel.apply, name="ticket-apply"),
]
