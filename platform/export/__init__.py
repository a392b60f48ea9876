"""Open data out: the formats the systems a municipality already runs can read.

FHIR R4 for patient records, FIWARE NGSI-LD for smart-city platforms, GeoJSON for maps and GIS,
CSV for analysts, Prometheus for IT operations. Functions here turn stored rows and states into
those formats; HTTP routes and the command line call them.
"""
