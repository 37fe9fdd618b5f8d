import ZephirCore
import GRDB
