"""Two settlement runs at once (PostgreSQL, real threads): each pledge is
refunded once; the pledge row locks and the stored keys keep the second run from
refunding again."""
import threading

import pytest
from django.db import connection

from shop.crowdfunding.models import Pledge, Project
from shop.crowdfunding.settlement import project_settle
from shop.payments.models import OnlineRefund

from .conftest import after_deadline, backer, pledge_paid

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_runs_at_once_refund_each_pledge_once(client, gaozhou, stripe_on, stripe_front, cold_point):
    project = gaozhou.project
    Project.objects.filter(pk=project.pk).update(goal_amount="9000.00")
    methods = ["alipay", "wechat_pay"] * 3
    pledges = [pledge_paid(client, stripe_front, stripe_on, backer(n), project, gaozhou.tree, cold_point, method)
               for n, method in enumerate(methods)]
    stripe_front.log.clear()
    start, errors = threading.Barrier(2), []

    def run():
        try:
            start.wait()
            project_settle(project=project, now=after_deadline(project))
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    project_settle(project=project, now=after_deadline(project))  # whatever a clash left for later

    assert set(Pledge.objects.values_list("state", flat=True)) == {"refunded"}
    assert Project.objects.get(pk=project.pk).state == "settled"
    intents = {p.payment.intent_id for p in Pledge.objects.select_related("payment")}
    stripe_refunds = [r for r in stripe_front.wallet_refunds.values() if r["payment_intent"] in intents]
    assert sorted(r["payment_intent"] for r in stripe_refunds) == sorted(intents)
    assert OnlineRefund.objects.count() == 6
    assert len({key for key, _params in stripe_front.creates("/v1/refunds")}) == 6
