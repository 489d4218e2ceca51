"""Every back-office screen, in menu order."""
from .brands import BrandScreen, ProductOriginScreen
from .harvest import HarvestBatchScreen, PointBatchScreen
from .producers import HouseholdScreen, MarketSubjectScreen
from .regions import CityScreen, CountyScreen, ServicePointScreen, TownshipScreen, VillageScreen
from .refunds import OrderRefundScreen
from .reports import AttributionReportScreen

SCREENS = (
    CityScreen(),
    CountyScreen(),
    TownshipScreen(),
    VillageScreen(),
    ServicePointScreen(),
    MarketSubjectScreen(),
    HouseholdScreen(),
    BrandScreen(),
    ProductOriginScreen(),
    HarvestBatchScreen(),
    PointBatchScreen(),
    AttributionReportScreen(),
    OrderRefundScreen(),
)
