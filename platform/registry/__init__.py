"""The device registry beyond containers: wards with dispensers and badges, patients with hubs."""
