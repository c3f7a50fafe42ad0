// One benchmark measurement in a fresh process, as a job meets it (GDAL's block cache and the
// heap start empty; the file is in the page cache). Plain JavaScript on the built package.
// argv: read <raster>                                 GDAL reading the whole band once
//       zonal <polygons> <raster> <reader> <rule> <cpus>
// Prints one JSON line: seconds, and for zonal the polygons and pixels counted.
import gdal from 'gdal-async';
import { zonalStatistics } from '@geoworks/raster-stats';

const [mode, ...args] = process.argv.slice(2);
const report = (fields) =>
  console.log(JSON.stringify({ ...fields, peakRss: process.resourceUsage().maxRSS * 1024 }));

if (mode === 'read') {
  const started = performance.now();
  const dataset = gdal.open(args[0]);
  const { x, y } = dataset.rasterSize;
  const pixels = dataset.bands.get(1).pixels.read(0, 0, x, y);
  dataset.close();
  const seconds = (performance.now() - started) / 1000;
  if (pixels.length !== x * y) throw new Error('short read');
  report({ seconds });
} else {
  const [polygons, raster, reader, rule, cpus] = args;
  const started = performance.now();
  let count = 0;
  let pixels = 0;
  for await (const row of zonalStatistics(
    { path: polygons, field: 'id' },
    { path: raster },
    { reader, rule, cpus: Number(cpus) },
  )) {
    count++;
    pixels += row.stats.count ?? 0;
  }
  report({ seconds: (performance.now() - started) / 1000, count, pixels });
}
