"""Oscar's catalogue and search apps with our views swapped in.

Not forks: the app names and labels stay Oscar's (``oscar.apps.catalogue`` /
``catalogue``, ``oscar.apps.search`` / ``search``), so models, migrations and
``get_class`` lookups are Oscar's own. Only the view classes change, in
``ready()``, before Oscar builds the URLs. List these configs in
INSTALLED_APPS by dotted path instead of Oscar's.
"""
from oscar.apps.catalogue.apps import CatalogueConfig as OscarCatalogueConfig
from oscar.apps.search.apps import SearchConfig as OscarSearchConfig


class CatalogueConfig(OscarCatalogueConfig):
    # pylint: disable=attribute-defined-outside-init
    def ready(self):
        super().ready()
        from . import views

        self.catalogue_view = views.CatalogueView
        self.category_view = views.ProductCategoryView
        self.detail_view = views.ProductDetailView


class SearchConfig(OscarSearchConfig):
    # pylint: disable=attribute-defined-outside-init
    def ready(self):
        super().ready()
        from .views import SearchView

        self.search_view = SearchView
