"""Loading and validating a monthly record (dates, climate variables, runoff) from CSV."""

#: The nine input variables of the teaching catchment, in the order the model sees them.
FEATURES = [
    "precip",
    "tmean",
    "tmax",
    "tmin",
    "rel_humidity",
    "sunshine",
    "vapour_pressure",
    "wind",
    "climate_index",
]

#: The variable the course predicts (mm/month).
TARGET = "runoff"

#: Name of the date column in the course's CSV format.
DATE_COLUMN = "date"
