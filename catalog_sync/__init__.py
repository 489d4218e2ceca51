"""catalog_sync: keep the external pavilions (JD, Taobao/Tmall, Pinduoduo, WeChat
Shop, the 832 platform, a Google-Merchant-style feed) in step with our catalogue
and bring the orders made there home for attribution."""
