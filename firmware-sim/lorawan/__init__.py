"""LoRaWAN as the platform sees it: radio links, MAC behaviour and the network server."""
