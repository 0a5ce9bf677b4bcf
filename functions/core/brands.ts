/** The brands of the albelli group whose customers the pipeline serves. */
export const BRANDS = ['albelli', 'bonusprint', 'fotoknudsen', 'onskefoto', 'resnap'] as const;

/** One of the group's brands. */
export type Brand = (typeof BRANDS)[number];

/** True when the value names one of the group's brands. */
export function isBrand(value: unknown): value is Brand {
  return (BRANDS as readonly unknown[]).includes(value);
}
