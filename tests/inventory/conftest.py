"""Helpers for the stock reservation and oversell tests."""
import threading

from django.db import connection
from oscar.core.loading import get_class, get_model

from tests.checkout.conftest import cold_point, tianhe  # noqa: F401  (fixtures)

Basket = get_model("basket", "Basket")
Selector = get_class("partner.strategy", "Selector")

SOLD_OUT = "「{title}」已售罄，请从购物车中移除后再结算。"


def basket_with(*items, owner=None):
    """An open basket holding [(product, quantity)], as Oscar's basket views build it."""
    basket = Basket.objects.create(owner=owner)
    basket.strategy = Selector().strategy()
    for product, quantity in items:
        basket.add_product(product, quantity)
    return basket


def run_in_threads(jobs, *, workers):
    """Run the callables ``jobs`` on ``workers`` threads, all released at once by a
    barrier; thread ``w`` runs jobs w, w + workers, ...  Each thread closes its
    database connection when it is done.  Returns [(result, exception)] in job order
    (a job that never ran, e.g. after a broken barrier, is left as None)."""
    outcomes = [None] * len(jobs)
    start_together = threading.Barrier(workers, timeout=120)

    def work(indexes):
        try:
            start_together.wait()
            for index in indexes:
                try:
                    outcomes[index] = (jobs[index](), None)
                except Exception as exc:  # noqa: BLE001 - the tests count them
                    outcomes[index] = (None, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(range(w, len(jobs), workers),)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
