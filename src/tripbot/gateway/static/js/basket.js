// A basket of gear: giving a quantity ticks its item, so two helmets take one action, not two.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".basket-line input[type=number]").forEach((quantity) => {
    quantity.addEventListener("input", () => {
      const pick = document.getElementById(`pick-${quantity.id.replace("quantity-", "")}`);
      if (pick && !pick.disabled) pick.checked = Number(quantity.value) > 0;
    });
  });
});
