import { describe, expect, it } from 'vitest';
import { BRANDS, isBrand } from '../../functions/core/brands';

describe('isBrand', () => {
  it('knows the five brands of the group', () => {
    expect(BRANDS).toEqual(['albelli', 'bonusprint', 'fotoknudsen', 'onskefoto', 'resnap']);
    expect(BRANDS.every((brand) => isBrand(brand))).toBe(true);
  });

  it.each([['Albelli'], [''], ['other'], [undefined], [1], [['albelli']]])('refuses %j', (value) => {
    expect(isBrand(value)).toBe(false);
  });
});
