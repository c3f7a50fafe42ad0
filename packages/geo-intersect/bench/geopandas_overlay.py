"""The geopandas side of the geo-intersect benchmark: overlay(how="intersection") and
Mollweide areas on the same files, timed from reading to areas. Prints one JSON line."""
import json
import sys
import time

import geopandas

start = time.perf_counter()
first = geopandas.read_file(sys.argv[1])
second = geopandas.read_file(sys.argv[2])
result = geopandas.overlay(first, second, how="intersection", keep_geom_type=True)
areas = result.to_crs("ESRI:54009").area
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "count": int(len(result)), "area": float(areas.sum())}))
