import ZephirCore
