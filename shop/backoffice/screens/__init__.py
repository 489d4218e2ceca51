"""Every back-office screen, in menu order."""
from .brands import BrandScreen, ProductOriginScreen
from .campaigns import CampaignScreen
from .channels import ChannelListingScreen, ChannelScreen
from .crowdfunding import CrowdfundingProjectScreen
from .delivery_rates import DeliveryRateScreen
from .harvest import HarvestBatchScreen, PointBatchScreen
from .pickup import PickupScreen
from .presales import PreSaleScreen
from .producers import HouseholdScreen, MarketSubjectScreen
from .regions import CityScreen, CountyScreen, ServicePointScreen, TownshipScreen, VillageScreen
from .refunds import OrderRefundScreen
from .reports import AttributionReportScreen
from .waves import DeliveryWaveScreen

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
    DeliveryWaveScreen(),
    PickupScreen(),
    DeliveryRateScreen(),
    CampaignScreen(),
    PreSaleScreen(),
    CrowdfundingProjectScreen(),
    ChannelScreen(),
    ChannelListingScreen(),
)
