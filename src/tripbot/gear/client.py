"""Typed client of the gear service, for the gateway, the bot and other services: its
operations, reached over HTTP or in process."""

from __future__ import annotations

from tripbot.gear import OPERATIONS
from tripbot.gear import service as gear
from tripbot.platform.client import ServiceClient
from tripbot.platform.operations import Download, Upload

__all__ = ["Download", "GearClient", "Upload"]


class GearClient(ServiceClient):
    """Calls the gear service for one principal."""

    service = "gear"
    operations = OPERATIONS

    items = gear.items.items
    create_item = gear.items.create_item
    item = gear.items.item
    update_item = gear.items.update_item
    retire_item = gear.items.retire_item
    export_items = gear.items.export_items
    import_items = gear.items.import_items
    photo = gear.items.photo
    set_photo = gear.items.set_photo
    delete_photo = gear.items.delete_photo
    availability = gear.items.availability
    history = gear.units.history
    units = gear.units.units
    add_unit = gear.units.add_unit
    update_unit = gear.units.update_unit
    retire_unit = gear.units.retire_unit
    reserve = gear.reservations.reserve
    reserve_basket = gear.reservations.reserve_basket
    reservations = gear.reservations.reservations
    reservation = gear.reservations.reservation
    cancel = gear.reservations.cancel
    check_out = gear.loans.check_out
    check_in = gear.loans.check_in
    loans = gear.loans.loans
    overdue = gear.loans.overdue
    packing_list = gear.packing.packing_list
    add_entry = gear.packing.add_entry
    update_entry = gear.packing.update_entry
    remove_entry = gear.packing.remove_entry
    tick_entry = gear.packing.tick_entry
    export_packing_list = gear.packing.export_packing_list
    import_packing_list = gear.packing.import_packing_list
    feed = gear.feed
