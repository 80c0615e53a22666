"""The expo itself: its title and dates, districts and development zones, project teams,
halls, and the sector taxonomy. Exports the models and the sector list."""

from expo.fair.models import District, Expo, Hall, ProjectTeam
from expo.fair.sectors import SECTORS, sector_label

__all__ = ["SECTORS", "District", "Expo", "Hall", "ProjectTeam", "sector_label"]
