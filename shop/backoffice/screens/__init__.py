"""Every back-office screen, in menu order."""
from .brands import BrandScreen, ProductOriginScreen
from .producers import HouseholdScreen, MarketSubjectScreen
from .regions import CityScreen, CountyScreen, ServicePointScreen, TownshipScreen, VillageScreen

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
)
