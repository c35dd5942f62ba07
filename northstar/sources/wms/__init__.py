"""The 3PL warehouse's shipment files, the `fulfillment` source: the drop folder (drop/), the file formats
(formats/) and write-once landing (landing.py)."""

SOURCE = "fulfillment"
