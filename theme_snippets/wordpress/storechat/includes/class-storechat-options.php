<?php
/**
 * The plugin's stored settings and its lifecycle (activation, deactivation).
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * One option, `storechat_settings`, holds the server URL, the site key and the identity secret.
 */
final class StoreChat_Options {

	const OPTION = 'storechat_settings';
	const VERSION_OPTION = 'storechat_version';
	/** The pending "Connect WooCommerce" state (see StoreChat_WooCommerce). */
	const CONNECT_OPTION = 'storechat_wc_connect';
	/** The pending "Connect this site" token (see StoreChat_Connect). */
	const SITE_CONNECT_OPTION = 'storechat_site_connect';
	/** Content notifications StoreChat has not taken yet (see StoreChat_Notify). */
	const OUTBOX_OPTION = 'storechat_outbox';

	/**
	 * Every option this plugin writes; uninstall.php deletes exactly these.
	 *
	 * @return string[]
	 */
	public static function all_options() {
		return array( self::OPTION, self::VERSION_OPTION, self::CONNECT_OPTION, self::SITE_CONNECT_OPTION, self::OUTBOX_OPTION );
	}

	/**
	 * The settings, with defaults for what is not set.
	 *
	 * @return array{server_url: string, site_key: string, identity_secret: string}
	 */
	public static function get() {
		$saved = get_option( self::OPTION, array() );
		$saved = is_array( $saved ) ? $saved : array();
		return array(
			'server_url'      => isset( $saved['server_url'] ) ? (string) $saved['server_url'] : '',
			'site_key'        => isset( $saved['site_key'] ) ? (string) $saved['site_key'] : '',
			'identity_secret' => isset( $saved['identity_secret'] ) ? (string) $saved['identity_secret'] : '',
		);
	}

	/**
	 * Store the settings as given, past the settings form's sanitizer (which keeps a saved
	 * secret when the form leaves it empty: here empty means empty).
	 *
	 * @param array $settings server_url, site_key, identity_secret.
	 */
	public static function save( $settings ) {
		$hook = 'sanitize_option_' . self::OPTION;
		$callback = array( 'StoreChat_Settings', 'sanitize' );
		$priority = has_filter( $hook, $callback );
		if ( false !== $priority ) {
			remove_filter( $hook, $callback, $priority );
		}
		update_option( self::OPTION, $settings );
		if ( false !== $priority ) {
			add_filter( $hook, $callback, $priority );
		}
	}

	/** True when the widget can load: a server and a site key are set. */
	public static function is_configured() {
		$settings = self::get();
		return '' !== $settings['server_url'] && '' !== $settings['site_key'];
	}

	/** Activation: create the settings option (empty until saved) and record the version. */
	public static function activate() {
		add_option( self::OPTION, array(), '', 'yes' );
		update_option( self::VERSION_OPTION, STORECHAT_VERSION, false );
	}

	/** Deactivation keeps the settings (uninstall removes them); it drops a pending connect. */
	public static function deactivate() {
		delete_option( self::CONNECT_OPTION );
		delete_option( self::SITE_CONNECT_OPTION );
		wp_clear_scheduled_hook( StoreChat_Notify::CRON_HOOK );
	}
}
