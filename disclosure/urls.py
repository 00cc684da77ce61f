"""The disclosure app's pages: the public pages (no sign-in), the benchmarks and the annual
report's download."""

from disclosure.annual import urlpatterns as annual
from disclosure.benchmarks import urlpatterns as benchmarks
from disclosure.public import urlpatterns as public

app_name = "disclosure"

urlpatterns = [*public, *benchmarks, *annual]
