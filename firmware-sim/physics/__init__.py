"""The physical world the devices measure: waste, hands, bodies and weather."""
